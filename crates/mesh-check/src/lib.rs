//! mesh-check
