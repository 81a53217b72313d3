//! The rule registry: every rule, one file each. A code is never reused.

use crate::rule::{Rule, RuleMeta};

mod api001_spec_endpoint_not_in_openapi;
mod api002_openapi_operation_not_in_spec;
mod api003_spec_endpoint_not_in_code;
mod api004_code_route_not_in_spec;
mod api005_unreadable_openapi;
mod dat001_relationship_unknown_entity;
mod dat010_entity_without_table;
mod dat011_table_without_entity;
mod dat012_relationship_without_foreign_key;
mod dat013_unreadable_migration;
mod dec001_duplicate_decision_id;
mod dec002_malformed_decision_row;
mod dec003_decision_table_missing;
mod dec004_superseded_without_successor;
mod dec005_broken_decision_link;
mod dec006_unknown_decision_status;
mod dec007_unknown_decision_type;
mod dec008_replaced_decision_still_active;
mod dec020_decision_row_removed;
mod dec021_decision_row_rewritten;
mod dep001_unapproved_dependency;
mod dep002_forbidden_dependency;
mod dep003_version_outside_constraint;
mod dep004_spec_library_unused;
mod dep005_forbidden_transitive_dependency;
mod dep006_unreadable_version_constraint;
mod dep007_unreadable_dependency_file;
mod doc001_stub_marker;
mod doc002_unfilled_placeholder;
mod doc003_unfilled_option_list;
mod doc004_unfilled_hint;
mod doc005_missing_section;
mod doc006_empty_section;
mod doc007_todo_token;
mod doc008_outdated_template;
mod doc009_missing_document;
mod doc010_unreadable_document;
mod doc011_contract_field_unfilled;
mod doc012_duplicate_id;
mod drift;
mod gov001_spec_change_without_decision;
mod gov002_spec_lines_removed;
mod hyd001_hydrated_part_stale;
mod hyd002_hand_edit_in_hydrated_part;
mod hyd003_active_spec_contradicts_spec;
mod hyd004_broken_hydrate_marker;
pub(crate) mod hydration;
mod markers;
mod sec001_threat_without_mitigation;
mod stk001_contract_stack_not_in_code;
mod stk002_undeclared_stack_in_code;
mod trc001_must_story_without_task;
mod trc002_completed_task_untested;
mod trc003_unknown_test_tag;

pub use markers::{Occurrence, occurrences};

static RULES: &[&dyn Rule] = &[
    &doc001_stub_marker::StubMarker,
    &doc002_unfilled_placeholder::UnfilledPlaceholder,
    &doc003_unfilled_option_list::UnfilledOptionList,
    &doc004_unfilled_hint::UnfilledHint,
    &doc005_missing_section::MissingSection,
    &doc006_empty_section::EmptySection,
    &doc007_todo_token::TodoToken,
    &doc008_outdated_template::OutdatedTemplate,
    &doc009_missing_document::MissingDocument,
    &doc010_unreadable_document::UnreadableDocument,
    &doc011_contract_field_unfilled::ContractFieldUnfilled,
    &doc012_duplicate_id::DuplicateId,
    &hyd001_hydrated_part_stale::HydratedPartStale,
    &hyd002_hand_edit_in_hydrated_part::HandEditInHydratedPart,
    &hyd003_active_spec_contradicts_spec::ActiveSpecContradictsSpec,
    &hyd004_broken_hydrate_marker::BrokenHydrateMarker,
    &dec001_duplicate_decision_id::DuplicateDecisionId,
    &dec002_malformed_decision_row::MalformedDecisionRow,
    &dec003_decision_table_missing::DecisionTableMissing,
    &dec004_superseded_without_successor::SupersededWithoutSuccessor,
    &dec005_broken_decision_link::BrokenDecisionLink,
    &dec006_unknown_decision_status::UnknownDecisionStatus,
    &dec007_unknown_decision_type::UnknownDecisionType,
    &dec008_replaced_decision_still_active::ReplacedDecisionStillActive,
    &dec020_decision_row_removed::DecisionRowRemoved,
    &dec021_decision_row_rewritten::DecisionRowRewritten,
    &gov001_spec_change_without_decision::SpecChangeWithoutDecision,
    &gov002_spec_lines_removed::SpecLinesRemoved,
    &sec001_threat_without_mitigation::ThreatWithoutMitigation,
    &trc001_must_story_without_task::MustStoryWithoutTask,
    &trc002_completed_task_untested::CompletedTaskUntested,
    &trc003_unknown_test_tag::UnknownTestTag,
    &dat001_relationship_unknown_entity::RelationshipUnknownEntity,
    &api001_spec_endpoint_not_in_openapi::SpecEndpointNotInOpenapi,
    &api002_openapi_operation_not_in_spec::OpenapiOperationNotInSpec,
    &api003_spec_endpoint_not_in_code::SpecEndpointNotInCode,
    &api004_code_route_not_in_spec::CodeRouteNotInSpec,
    &api005_unreadable_openapi::UnreadableOpenapi,
    &dat010_entity_without_table::EntityWithoutTable,
    &dat011_table_without_entity::TableWithoutEntity,
    &dat012_relationship_without_foreign_key::RelationshipWithoutForeignKey,
    &dat013_unreadable_migration::UnreadableMigration,
    &dep001_unapproved_dependency::UnapprovedDependency,
    &dep002_forbidden_dependency::ForbiddenDependency,
    &dep003_version_outside_constraint::VersionOutsideConstraint,
    &dep004_spec_library_unused::SpecLibraryUnused,
    &dep005_forbidden_transitive_dependency::ForbiddenTransitiveDependency,
    &dep006_unreadable_version_constraint::UnreadableVersionConstraint,
    &dep007_unreadable_dependency_file::UnreadableDependencyFile,
    &stk001_contract_stack_not_in_code::ContractStackNotInCode,
    &stk002_undeclared_stack_in_code::UndeclaredStackInCode,
];

/// Every rule, in code order (sorted once per process: every root's check walks this list).
pub fn all() -> &'static [&'static dyn Rule] {
    static SORTED: std::sync::OnceLock<Vec<&'static dyn Rule>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut v: Vec<&'static dyn Rule> = RULES.to_vec();
        v.sort_by_key(|r| r.meta().code);
        v
    })
}

/// The rule with `code` (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// Metadata of every rule, in code order.
pub fn metas() -> Vec<&'static RuleMeta> {
    all().iter().map(|r| r.meta()).collect()
}

/// The Markdown rule reference (docs/reference/rules.md), generated from the rules themselves.
pub fn reference_markdown() -> String {
    let mut s = String::from(
        "# Rule reference\n\n<!-- Generated by `mesh rules --format markdown`; a test fails when this file is stale. -->\n\n| Code | Name | Group | Default | Summary |\n|---|---|---|---|---|\n",
    );
    let metas = metas();
    for m in &metas {
        s.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} | {} |\n",
            m.code,
            m.code.to_ascii_lowercase(),
            m.name,
            m.group.prefix(),
            m.severity.as_str(),
            m.summary
        ));
    }
    for m in &metas {
        s.push_str(&format!(
            "\n## {}\n\n`{}` · {} · default severity **{}**\n\n",
            m.code,
            m.name,
            m.group.describe(),
            m.severity.as_str()
        ));
        for line in m.explanation.lines() {
            s.push_str(line.strip_prefix(' ').unwrap_or(line));
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_and_well_formed() {
        let metas = metas();
        let mut codes: Vec<_> = metas.iter().map(|m| m.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), metas.len(), "duplicate rule code");
        for m in metas {
            assert!(
                m.code.starts_with(m.group.prefix()),
                "{} not in group {:?}",
                m.code,
                m.group
            );
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                m.name
            );
            assert!(m.explanation.len() > 80, "{} needs an explanation", m.code);
        }
    }
}
