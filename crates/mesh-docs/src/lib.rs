//! mesh-docs
