//! mesh-deps: readers for dependency manifests and lockfiles, OpenAPI documents, SQL migrations
//! and route declarations in code, turned into normalized facts with locations.
//!
//! Entry points:
//! - [`scan`] walks a repository and returns [`RepoFacts`]; [`scan_many`] walks many folders.
//! - [`detect_stack`] turns facts into database/auth/API-style/testing evidence.
//! - [`satisfies`] checks a version against a constraint in each ecosystem's syntax.
//! - [`names_match`], [`parse_requirement`], [`entity_matches_table`],
//!   [`normalize_route_path`] compare names the way each ecosystem does.
//!
//! Each format also has a pure parser, `fn(file: &str, text: &str) -> Result<_, ParseError>`,
//! in its module ([`cargo`], [`npm`], [`python`], [`gomod`], [`openapi`], [`sql`], [`routes`]).

pub mod cargo;
pub mod gomod;
pub mod lock;
pub mod model;
pub mod names;
pub mod npm;
pub mod openapi;
pub mod python;
pub mod range;
pub mod routes;
pub mod scan;
pub mod sql;
pub mod stack;
mod text;
mod yaml;

pub use model::*;
pub use names::{
    RequirementSpec, entity_key, entity_matches_table, go_module_base, names_match,
    normalize_method, normalize_name, normalize_route_path, npm_scope, parse_requirement,
    routes_match, singularize,
};
pub use range::{RangeError, poetry_to_pep440, satisfies, validate_constraint};
pub use scan::{ExcludeSet, ScanOptions, scan, scan_many};
pub use stack::{
    StackEntry, StackEvidence, StackFact, StackTable, StackTableError, detect_stack,
    detect_stack_with,
};
