//! mesh-deps: readers for dependency manifests and lockfiles, OpenAPI documents, SQL migrations
//! and route declarations in code, turned into normalized facts with locations.

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
pub mod sql;
mod text;
mod yaml;

pub use model::*;
pub use names::{
    RequirementSpec, entity_key, entity_matches_table, go_module_base, names_match,
    normalize_method, normalize_name, normalize_route_path, npm_scope, parse_requirement,
    routes_match, singularize,
};
pub use range::{RangeError, poetry_to_pep440, satisfies, validate_constraint};
