//! mesh-git
