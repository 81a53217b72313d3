//! mesh-deps
