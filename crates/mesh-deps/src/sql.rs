//! SQL migrations (PostgreSQL and SQLite dialects) on `sqlparser`.
//!
//! A file is tokenized once (PostgreSQL rules, falling back to SQLite, then generic), split
//! into statements at `;`, and only the statements that shape tables are parsed: `CREATE
//! TABLE`, `ALTER TABLE` and `DROP TABLE`. Everything else (functions, triggers, indexes,
//! inserts) is skipped without parsing, so dialect features we do not need cannot fail the
//! file. A table statement that neither dialect parses is a warning; the rest of the file is
//! still read.

use serde::Serialize;
use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, ForeignKeyConstraint, ObjectName, ObjectType,
    RenameTableNameKind, Spanned as _, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect, GenericDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use crate::model::{ForeignKey, ParseError, Problem, SourceLoc, SqlColumn, SqlTable};
use crate::text::LineIndex;

/// One table-shaping change, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum SqlChange {
    CreateTable(SqlTable),
    AddColumn {
        table: String,
        column: SqlColumn,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    RenameTable {
        from: String,
        to: String,
    },
    DropTable {
        table: String,
    },
}

/// A parsed SQL file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlFile {
    pub file: String,
    pub changes: Vec<SqlChange>,
    pub problems: Vec<Problem>,
}

/// True when a migration file name marks a "down" (rollback) migration, which does not
/// describe the schema: `0001_init.down.sql`, `down.sql`, `*_down.sql`, `*.undo.sql`,
/// `U2__x.sql` (Flyway undo).
pub fn is_down_migration(path: &str) -> bool {
    let base = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let stem = base.strip_suffix(".sql").unwrap_or(&base);
    stem == "down"
        || stem.ends_with(".down")
        || stem.ends_with("_down")
        || stem.ends_with("-down")
        || stem.ends_with(".undo")
        || (stem.starts_with('u')
            && stem[1..].starts_with(|c: char| c.is_ascii_digit())
            && stem.contains("__"))
}

fn loc_of(index: &LineIndex<'_>, span: Span, fallback: &SourceLoc) -> SourceLoc {
    if span.start.line == 0 {
        return fallback.clone();
    }
    let to_offset = |l: Location| {
        index.offset_of(
            usize::try_from(l.line).unwrap_or(usize::MAX),
            usize::try_from(l.column.saturating_sub(1)).unwrap_or(usize::MAX),
        )
    };
    let start = to_offset(span.start);
    let end = if span.end.line == 0 {
        start
    } else {
        to_offset(span.end)
    };
    index.loc(start..end.max(start))
}

/// Last part of a possibly qualified name, and its schema.
fn split_name(name: &ObjectName) -> (String, Option<String>) {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    match parts.as_slice() {
        [] => (name.to_string(), None),
        [one] => (one.clone(), None),
        [.., schema, table] => (table.clone(), Some(schema.clone())),
    }
}

fn fk_from(
    index: &LineIndex<'_>,
    fk: &ForeignKeyConstraint,
    local: Vec<String>,
    fallback: &SourceLoc,
) -> ForeignKey {
    ForeignKey {
        columns: local,
        references_table: split_name(&fk.foreign_table).0,
        references_columns: fk
            .referred_columns
            .iter()
            .map(|c| c.value.clone())
            .collect(),
        at: loc_of(index, fk.span(), fallback),
    }
}

fn column(
    index: &LineIndex<'_>,
    def: &ColumnDef,
    fallback: &SourceLoc,
) -> (SqlColumn, Vec<ForeignKey>) {
    let at = loc_of(index, def.name.span, fallback);
    let fks = def
        .options
        .iter()
        .filter_map(|o| match &o.option {
            ColumnOption::ForeignKey(fk) => {
                Some(fk_from(index, fk, vec![def.name.value.clone()], &at))
            }
            _ => None,
        })
        .collect();
    let data_type = match def.data_type {
        sqlparser::ast::DataType::Unspecified => String::new(),
        ref t => t.to_string(),
    };
    (
        SqlColumn {
            name: def.name.value.clone(),
            data_type,
            at,
        },
        fks,
    )
}

fn changes_of(index: &LineIndex<'_>, stmt: &Statement, at: &SourceLoc, out: &mut Vec<SqlChange>) {
    match stmt {
        Statement::CreateTable(ct) => {
            if ct.temporary {
                return;
            }
            let (name, schema) = split_name(&ct.name);
            let mut table = SqlTable {
                name,
                schema,
                columns: Vec::new(),
                foreign_keys: Vec::new(),
                at: at.clone(),
            };
            for def in &ct.columns {
                let (col, fks) = column(index, def, at);
                table.columns.push(col);
                table.foreign_keys.extend(fks);
            }
            for c in &ct.constraints {
                if let TableConstraint::ForeignKey(fk) = c {
                    let local = fk.columns.iter().map(|i| i.value.clone()).collect();
                    table.foreign_keys.push(fk_from(index, fk, local, at));
                }
            }
            out.push(SqlChange::CreateTable(table));
        }
        Statement::AlterTable(alter) => {
            let (table, _) = split_name(&alter.name);
            for op in &alter.operations {
                match op {
                    AlterTableOperation::AddColumn { column_def, .. } => {
                        let (col, fks) = column(index, column_def, at);
                        out.push(SqlChange::AddColumn {
                            table: table.clone(),
                            column: col,
                        });
                        for fk in fks {
                            out.push(SqlChange::AddForeignKey {
                                table: table.clone(),
                                foreign_key: fk,
                            });
                        }
                    }
                    AlterTableOperation::AddConstraint {
                        constraint: TableConstraint::ForeignKey(fk),
                        ..
                    } => {
                        let local = fk.columns.iter().map(|i| i.value.clone()).collect();
                        out.push(SqlChange::AddForeignKey {
                            table: table.clone(),
                            foreign_key: fk_from(index, fk, local, at),
                        });
                    }
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        for c in column_names {
                            out.push(SqlChange::DropColumn {
                                table: table.clone(),
                                column: c.value.clone(),
                            });
                        }
                    }
                    AlterTableOperation::RenameColumn {
                        old_column_name,
                        new_column_name,
                    } => out.push(SqlChange::RenameColumn {
                        table: table.clone(),
                        from: old_column_name.value.clone(),
                        to: new_column_name.value.clone(),
                    }),
                    AlterTableOperation::RenameTable { table_name } => {
                        let new = match table_name {
                            RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => n,
                        };
                        out.push(SqlChange::RenameTable {
                            from: table.clone(),
                            to: split_name(new).0,
                        });
                    }
                    _ => {}
                }
            }
        }
        Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } => {
            for n in names {
                out.push(SqlChange::DropTable {
                    table: split_name(n).0,
                });
            }
        }
        _ => {}
    }
}

/// Whether a statement's leading words make it one we read.
fn is_table_statement(tokens: &[TokenWithSpan]) -> bool {
    let words: Vec<Keyword> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .take(6)
        .map_while(|t| match &t.token {
            Token::Word(w) => Some(w.keyword),
            _ => None,
        })
        .collect();
    match words.as_slice() {
        [Keyword::ALTER, Keyword::TABLE, ..] | [Keyword::DROP, Keyword::TABLE, ..] => true,
        [Keyword::CREATE, rest @ ..] => {
            // CREATE [OR REPLACE] [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE
            rest.iter()
                .take_while(|k| {
                    matches!(
                        k,
                        Keyword::OR
                            | Keyword::REPLACE
                            | Keyword::GLOBAL
                            | Keyword::LOCAL
                            | Keyword::UNLOGGED
                            | Keyword::TEMP
                            | Keyword::TEMPORARY
                            | Keyword::TABLE
                    )
                })
                .any(|k| *k == Keyword::TABLE)
        }
        _ => false,
    }
}

fn tokenize(text: &str) -> Result<Vec<TokenWithSpan>, sqlparser::tokenizer::TokenizerError> {
    let dialects: [&dyn Dialect; 3] =
        [&PostgreSqlDialect {}, &SQLiteDialect {}, &GenericDialect {}];
    let mut first_err = None;
    for d in dialects {
        match Tokenizer::new(d, text).tokenize_with_location() {
            Ok(t) => return Ok(t),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(
        first_err.unwrap_or_else(|| sqlparser::tokenizer::TokenizerError {
            message: "cannot tokenize".into(),
            location: Location::new(1, 1),
        }),
    )
}

/// Shift a location found in a sub-text starting at (`line`, `col`) back into the file.
fn shift(l: Location, line: u64, col: u64) -> Location {
    if l.line == 0 {
        return l;
    }
    if l.line == 1 {
        Location::new(line, col + l.column - 1)
    } else {
        Location::new(line + l.line - 1, l.column)
    }
}

/// Parse one statement, with PostgreSQL rules, then SQLite, then generic rules.
fn parse_statement(index: &LineIndex<'_>, tokens: Vec<TokenWithSpan>) -> Result<Statement, String> {
    let Some(first) = tokens
        .iter()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
    else {
        return Err("empty statement".into());
    };
    let start_loc = first.span.start;
    let end_loc = tokens.last().map_or(start_loc, |t| t.span.end);
    let mut first_err = match Parser::new(&PostgreSqlDialect {})
        .with_tokens_with_locations(tokens)
        .parse_statement()
    {
        Ok(s) => return Ok(s),
        Err(e) => e.to_string(),
    };
    let to_offset = |l: Location| {
        index.offset_of(
            usize::try_from(l.line).unwrap_or(usize::MAX),
            usize::try_from(l.column.saturating_sub(1)).unwrap_or(usize::MAX),
        )
    };
    let (a, b) = (to_offset(start_loc), to_offset(end_loc));
    let Some(sub) = index.text().get(a..b.max(a)) else {
        return Err(first_err);
    };
    let others: [&dyn Dialect; 2] = [&SQLiteDialect {}, &GenericDialect {}];
    for d in others {
        let Ok(toks) = Tokenizer::new(d, sub).tokenize_with_location() else {
            continue;
        };
        let toks = toks
            .into_iter()
            .map(|mut t| {
                t.span = Span::new(
                    shift(t.span.start, start_loc.line, start_loc.column),
                    shift(t.span.end, start_loc.line, start_loc.column),
                );
                t
            })
            .collect();
        match Parser::new(d)
            .with_tokens_with_locations(toks)
            .parse_statement()
        {
            Ok(s) => return Ok(s),
            Err(e) => {
                if first_err.is_empty() {
                    first_err = e.to_string();
                }
            }
        }
    }
    Err(first_err)
}

/// Parse a SQL migration file into its table changes, in order.
pub fn parse_sql(file: &str, text: &str) -> Result<SqlFile, ParseError> {
    let index = LineIndex::new(file, text);
    let tokens = tokenize(text).map_err(|e| {
        let offset = index.offset_of(
            usize::try_from(e.location.line).unwrap_or(usize::MAX),
            usize::try_from(e.location.column.saturating_sub(1)).unwrap_or(usize::MAX),
        );
        index.error(
            offset..offset,
            format!(
                "cannot read this SQL file: {}; fix the statement (an unclosed quote or comment?)",
                e.message
            ),
        )
    })?;
    let mut out = SqlFile {
        file: file.to_string(),
        changes: Vec::new(),
        problems: Vec::new(),
    };
    for chunk in tokens.split(|t| t.token == Token::SemiColon) {
        if !is_table_statement(chunk) {
            continue;
        }
        let Some(first) = chunk
            .iter()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
        else {
            continue;
        };
        let last = chunk.last().map_or(first.span, |t| t.span);
        let at = loc_of(
            &index,
            Span::new(first.span.start, last.end),
            &SourceLoc::file_start(file),
        );
        match parse_statement(&index, chunk.to_vec()) {
            Ok(stmt) => changes_of(&index, &stmt, &at, &mut out.changes),
            Err(e) => out.problems.push(Problem {
                severity: crate::model::ProblemSeverity::Warning,
                at,
                message: format!(
                    "cannot parse this table statement as PostgreSQL or SQLite: {e}; the \
                     table it changes may be missing from the data-model check"
                ),
            }),
        }
    }
    Ok(out)
}

/// Apply migration files in order (sort them by path first) and return the tables they
/// leave. Table names compare case-insensitively; a change to an unknown table is ignored.
pub fn apply_migrations<'a>(files: impl IntoIterator<Item = &'a SqlFile>) -> Vec<SqlTable> {
    let mut tables: Vec<SqlTable> = Vec::new();
    let find = |tables: &mut Vec<SqlTable>, name: &str| -> Option<usize> {
        tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name))
    };
    for f in files {
        for change in &f.changes {
            match change {
                SqlChange::CreateTable(t) => {
                    if let Some(i) = find(&mut tables, &t.name) {
                        // CREATE TABLE IF NOT EXISTS of an existing table changes nothing.
                        let _ = i;
                    } else {
                        tables.push(t.clone());
                    }
                }
                SqlChange::AddColumn { table, column } => {
                    if let Some(i) = find(&mut tables, table)
                        && !tables[i]
                            .columns
                            .iter()
                            .any(|c| c.name.eq_ignore_ascii_case(&column.name))
                    {
                        tables[i].columns.push(column.clone());
                    }
                }
                SqlChange::DropColumn { table, column } => {
                    if let Some(i) = find(&mut tables, table) {
                        tables[i]
                            .columns
                            .retain(|c| !c.name.eq_ignore_ascii_case(column));
                        tables[i].foreign_keys.retain(|fk| {
                            !fk.columns.iter().any(|c| c.eq_ignore_ascii_case(column))
                        });
                    }
                }
                SqlChange::RenameColumn { table, from, to } => {
                    if let Some(i) = find(&mut tables, table) {
                        for c in &mut tables[i].columns {
                            if c.name.eq_ignore_ascii_case(from) {
                                c.name.clone_from(to);
                            }
                        }
                        for fk in &mut tables[i].foreign_keys {
                            for c in &mut fk.columns {
                                if c.eq_ignore_ascii_case(from) {
                                    c.clone_from(to);
                                }
                            }
                        }
                    }
                }
                SqlChange::AddForeignKey { table, foreign_key } => {
                    if let Some(i) = find(&mut tables, table) {
                        tables[i].foreign_keys.push(foreign_key.clone());
                    }
                }
                SqlChange::RenameTable { from, to } => {
                    if let Some(i) = find(&mut tables, from) {
                        tables[i].name.clone_from(to);
                    }
                    for t in &mut tables {
                        for fk in &mut t.foreign_keys {
                            if fk.references_table.eq_ignore_ascii_case(from) {
                                fk.references_table.clone_from(to);
                            }
                        }
                    }
                }
                SqlChange::DropTable { table } => {
                    if let Some(i) = find(&mut tables, table) {
                        tables.remove(i);
                    }
                }
            }
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_tables_and_foreign_keys() {
        let text = "-- init\nCREATE TABLE users (\n  id BIGSERIAL PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE\n);\nCREATE TABLE orders (\n  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),\n  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n  created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\nCREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;\nCREATE INDEX idx ON orders(user_id);\n";
        let f = parse_sql("001.sql", text).unwrap();
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let tables = apply_migrations([&f]);
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].name, "users");
        assert_eq!(tables[0].at.line, 2);
        assert_eq!(tables[1].columns.len(), 3);
        assert_eq!(tables[1].columns[1].at.line, 8);
        let fk = &tables[1].foreign_keys[0];
        assert_eq!(fk.references_table, "users");
        assert_eq!(fk.columns, ["user_id"]);
        assert_eq!(fk.at.line, 8);
    }

    #[test]
    fn sqlite_and_alters() {
        let a = parse_sql(
            "1.sql",
            "CREATE TABLE `tags` (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT) WITHOUT ROWID;\nCREATE TABLE [post_tags] (post_id INTEGER, tag_id INTEGER, FOREIGN KEY(tag_id) REFERENCES tags(id));\nCREATE TABLE old (x);\n",
        )
        .unwrap();
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        let b = parse_sql(
            "2.sql",
            "ALTER TABLE post_tags ADD COLUMN note TEXT;\nALTER TABLE tags RENAME TO labels;\nDROP TABLE old;\nCREATE TABLE broken (id INT,, );\n",
        )
        .unwrap();
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].at.line, 4);
        let tables = apply_migrations([&a, &b]);
        let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["labels", "post_tags"]);
        assert_eq!(tables[1].columns.len(), 3);
        assert_eq!(tables[1].foreign_keys[0].references_table, "labels");
        assert_eq!(tables[1].foreign_keys[0].at.line, 2);
    }

    #[test]
    fn down_migrations() {
        assert!(is_down_migration("migrations/0001_init.down.sql"));
        assert!(is_down_migration("migrations/2024_x/down.sql"));
        assert!(is_down_migration("db/U2__drop.sql"));
        assert!(!is_down_migration("migrations/0001_init.up.sql"));
        assert!(!is_down_migration("migrations/V2__users.sql"));
        assert!(!is_down_migration("update_users.sql"));
    }
}
