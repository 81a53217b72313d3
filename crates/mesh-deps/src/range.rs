//! Version-range checking in each ecosystem's own syntax.
//!
//! - Cargo: the `semver` crate (Cargo's flavour: `1.2` means `^1.2`, comma-separated
//!   comparators, `*`).
//! - npm: `nodejs-semver` (node-semver ranges: `^`, `~`, `x`, hyphen ranges, `||`).
//! - PyPI: `pep440_rs` (PEP 440 specifiers: `>=1,<2`, `~=1.4`, `==1.*`, `!=`, `===`).
//!   A bare version means `==version`, and Poetry's `^`/`~`/`*` forms are translated to
//!   PEP 440 first, since Poetry projects and people write them.
//! - Go: Go has no ranges; a constraint is either a version (`v1.9.1`, meaning exactly that
//!   version) or comparators in Cargo syntax with optional `v` prefixes (`>=v1.2.0, <v2`).

use std::str::FromStr;

use crate::model::Ecosystem;

/// A constraint or a version could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(
        "`{constraint}` is not a valid {ecosystem} version constraint: {message}; write it in the \
         ecosystem's own range syntax (e.g. {example})"
    )]
    InvalidConstraint {
        ecosystem: Ecosystem,
        constraint: String,
        message: String,
        example: &'static str,
    },
    #[error("`{version}` is not a valid {ecosystem} version: {message}")]
    InvalidVersion {
        ecosystem: Ecosystem,
        version: String,
        message: String,
    },
}

fn example(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Cargo => "`^1.2`, `>=1.2, <2`",
        Ecosystem::Npm => "`^1.2.0`, `>=1.2 <2`, `1.x || 2.x`",
        Ecosystem::PyPI => "`>=1.2,<2`, `~=1.4`, `==2.*`",
        Ecosystem::Go => "`v1.9.1`, `>=v1.2.0, <v2`",
    }
}

/// First line of an error message (some crates underline the input on further lines).
fn first_line(message: impl ToString) -> String {
    let m = message.to_string();
    m.lines()
        .next()
        .unwrap_or("")
        .trim_end_matches(':')
        .to_string()
}

fn bad_constraint(ecosystem: Ecosystem, constraint: &str, message: impl ToString) -> RangeError {
    RangeError::InvalidConstraint {
        ecosystem,
        constraint: constraint.to_string(),
        message: first_line(message),
        example: example(ecosystem),
    }
}

fn bad_version(ecosystem: Ecosystem, version: &str, message: impl ToString) -> RangeError {
    RangeError::InvalidVersion {
        ecosystem,
        version: version.to_string(),
        message: first_line(message),
    }
}

/// True when `version` satisfies `constraint` in `ecosystem`'s range syntax.
///
/// An empty constraint or `*` accepts every version. Errors say which of the two could not be
/// read.
pub fn satisfies(
    ecosystem: Ecosystem,
    constraint: &str,
    version: &str,
) -> Result<bool, RangeError> {
    let constraint = constraint.trim();
    let version = version.trim();
    match ecosystem {
        Ecosystem::Cargo => cargo_satisfies(Ecosystem::Cargo, constraint, version),
        Ecosystem::Npm => npm_satisfies(constraint, version),
        Ecosystem::PyPI => pypi_satisfies(constraint, version),
        Ecosystem::Go => go_satisfies(constraint, version),
    }
}

/// Check that a constraint is readable, without a version (for validating SPEC lines).
pub fn validate_constraint(ecosystem: Ecosystem, constraint: &str) -> Result<(), RangeError> {
    let probe = match ecosystem {
        Ecosystem::Go => "v0.0.0",
        _ => "0.0.0",
    };
    satisfies(ecosystem, constraint, probe).map(|_| ())
}

/// Pad `1` or `1.2` to `1.0.0` / `1.2.0` so lenient versions still compare.
fn pad_semver(version: &str) -> String {
    let core_end = version.find(['-', '+']).unwrap_or(version.len());
    let (core, tail) = version.split_at(core_end);
    let dots = core.matches('.').count();
    match dots {
        0 => format!("{core}.0.0{tail}"),
        1 => format!("{core}.0{tail}"),
        _ => version.to_string(),
    }
}

fn cargo_satisfies(eco: Ecosystem, constraint: &str, version: &str) -> Result<bool, RangeError> {
    let v = semver::Version::parse(version)
        .or_else(|_| semver::Version::parse(&pad_semver(version)))
        .map_err(|e| bad_version(eco, version, e))?;
    if constraint.is_empty() {
        return Ok(true);
    }
    let req =
        semver::VersionReq::parse(constraint).map_err(|e| bad_constraint(eco, constraint, e))?;
    Ok(req.matches(&v))
}

fn npm_satisfies(constraint: &str, version: &str) -> Result<bool, RangeError> {
    let eco = Ecosystem::Npm;
    let v = nodejs_semver::Version::parse(version).map_err(|e| bad_version(eco, version, e))?;
    if constraint.is_empty() || constraint == "latest" {
        return Ok(true);
    }
    let range =
        nodejs_semver::Range::parse(constraint).map_err(|e| bad_constraint(eco, constraint, e))?;
    Ok(range.satisfies(&v))
}

fn pypi_satisfies(constraint: &str, version: &str) -> Result<bool, RangeError> {
    let eco = Ecosystem::PyPI;
    let v = pep440_rs::Version::from_str(version).map_err(|e| bad_version(eco, version, e))?;
    if constraint.is_empty() || constraint == "*" {
        return Ok(true);
    }
    let specs = match pep440_rs::VersionSpecifiers::from_str(constraint) {
        Ok(specs) => specs,
        Err(err) => {
            let translated = poetry_to_pep440(constraint)
                .ok_or_else(|| bad_constraint(eco, constraint, &err))?;
            pep440_rs::VersionSpecifiers::from_str(&translated)
                .map_err(|_| bad_constraint(eco, constraint, err))?
        }
    };
    Ok(specs.contains(&v))
}

/// Translate Poetry constraint syntax to PEP 440: `^1.2.3` → `>=1.2.3,<2.0.0`,
/// `~1.2` → `>=1.2,<1.3`, bare `1.2.3` → `==1.2.3`, `1.2.*` kept; comma-joined parts are
/// translated one by one. `||` (union) is not expressible and gives `None`.
pub fn poetry_to_pep440(constraint: &str) -> Option<String> {
    if constraint.contains("||") || constraint.contains('|') {
        return None;
    }
    let mut parts = Vec::new();
    for part in constraint.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part == "*" {
            continue;
        }
        if let Some(v) = part.strip_prefix('^') {
            let nums = release_numbers(v.trim())?;
            let upper = caret_upper(&nums);
            parts.push(format!(">={},<{upper}", v.trim()));
        } else if let Some(v) = part.strip_prefix("~=") {
            parts.push(format!("~={}", v.trim()));
        } else if let Some(v) = part.strip_prefix('~') {
            let nums = release_numbers(v.trim())?;
            let upper = if nums.len() >= 2 {
                format!("{}.{}.0", nums[0], nums[1] + 1)
            } else {
                format!("{}.0.0", nums[0] + 1)
            };
            parts.push(format!(">={},<{upper}", v.trim()));
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            parts.push(format!("=={part}"));
        } else {
            parts.push(part.to_string());
        }
    }
    if parts.is_empty() {
        // Only `*`: any version.
        return Some(">=0".to_string());
    }
    Some(parts.join(","))
}

fn release_numbers(v: &str) -> Option<Vec<u64>> {
    let core_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let nums: Option<Vec<u64>> = v[..core_end]
        .split('.')
        .filter(|s| !s.is_empty() && *s != "*")
        .map(|s| s.parse().ok())
        .collect();
    nums.filter(|n| !n.is_empty())
}

/// Upper bound of a caret range: bump the first non-zero component.
fn caret_upper(nums: &[u64]) -> String {
    let first_non_zero = nums.iter().position(|&n| n != 0);
    match first_non_zero {
        Some(i) => {
            let mut out: Vec<u64> = nums[..=i].to_vec();
            out[i] += 1;
            while out.len() < 3 {
                out.push(0);
            }
            out.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
        }
        None => {
            // ^0.0 → <0.1.0 ; ^0 → <1.0.0 ; ^0.0.0 → <0.0.1
            match nums.len() {
                1 => "1.0.0".to_string(),
                2 => "0.1.0".to_string(),
                _ => "0.0.1".to_string(),
            }
        }
    }
}

fn go_satisfies(constraint: &str, version: &str) -> Result<bool, RangeError> {
    let eco = Ecosystem::Go;
    let v = version.strip_prefix('v').unwrap_or(version);
    if constraint.is_empty() || constraint == "*" {
        // Still validate the version.
        return cargo_satisfies(eco, "*", v);
    }
    let stripped = strip_go_v(constraint);
    let starts_with_digit = stripped.starts_with(|c: char| c.is_ascii_digit());
    let req = if starts_with_digit && !stripped.contains(',') {
        format!("={stripped}")
    } else {
        stripped
    };
    cargo_satisfies(eco, &req, v).map_err(|e| match e {
        RangeError::InvalidConstraint { message, .. } => bad_constraint(eco, constraint, message),
        other => other,
    })
}

/// Remove `v` prefixes in front of version numbers: `>=v1.2, <v2` → `>=1.2, <2`.
fn strip_go_v(constraint: &str) -> String {
    let mut out = String::with_capacity(constraint.len());
    let mut prev: Option<char> = None;
    let mut chars = constraint.chars().peekable();
    while let Some(c) = chars.next() {
        let at_start = prev.is_none_or(|p| !p.is_alphanumeric() && p != '.' && p != '-');
        if c == 'v' && at_start && chars.peek().is_some_and(char::is_ascii_digit) {
            prev = Some(c);
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes(eco: Ecosystem, c: &str, v: &str) -> bool {
        satisfies(eco, c, v).unwrap()
    }

    #[test]
    fn cargo_ranges() {
        assert!(yes(Ecosystem::Cargo, "1.2", "1.9.0"));
        assert!(!yes(Ecosystem::Cargo, "1.2", "2.0.0"));
        assert!(!yes(Ecosystem::Cargo, "0.3", "0.4.1"));
        assert!(yes(Ecosystem::Cargo, ">=1.2, <1.5", "1.4.9"));
        assert!(yes(Ecosystem::Cargo, "=1.0.219", "1.0.219"));
        assert!(yes(Ecosystem::Cargo, "*", "9.9.9"));
        assert!(yes(Ecosystem::Cargo, "~1.2.3", "1.2.9"));
        assert!(!yes(Ecosystem::Cargo, "~1.2.3", "1.3.0"));
        assert!(matches!(
            satisfies(Ecosystem::Cargo, "^^1", "1.0.0"),
            Err(RangeError::InvalidConstraint { .. })
        ));
        assert!(matches!(
            satisfies(Ecosystem::Cargo, "1", "one"),
            Err(RangeError::InvalidVersion { .. })
        ));
    }

    #[test]
    fn npm_ranges() {
        assert!(yes(Ecosystem::Npm, "^4.17.0", "4.17.21"));
        assert!(!yes(Ecosystem::Npm, "^4.17.0", "5.0.0"));
        assert!(yes(Ecosystem::Npm, "1.x || 2.x", "2.3.4"));
        assert!(yes(Ecosystem::Npm, "1.2.3 - 2.3.4", "2.0.0"));
        assert!(yes(Ecosystem::Npm, ">=1.2 <2", "1.5.0"));
        assert!(!yes(Ecosystem::Npm, "~1.2.0", "1.3.0"));
        assert!(!yes(Ecosystem::Npm, "^0.2.0", "0.3.0"));
        assert!(satisfies(Ecosystem::Npm, "not a range", "1.0.0").is_err());
    }

    #[test]
    fn pypi_specifiers() {
        assert!(yes(Ecosystem::PyPI, ">=4.2,<5", "4.2.11"));
        assert!(!yes(Ecosystem::PyPI, ">=4.2,<5", "5.0"));
        assert!(yes(Ecosystem::PyPI, "~=1.4", "1.9"));
        assert!(!yes(Ecosystem::PyPI, "~=1.4.2", "1.5.0"));
        assert!(yes(Ecosystem::PyPI, "==2.*", "2.31.0"));
        assert!(yes(Ecosystem::PyPI, "!=1.0", "1.1"));
        assert!(yes(Ecosystem::PyPI, "2.31.0", "2.31.0"));
        assert!(!yes(Ecosystem::PyPI, "2.31.0", "2.32.0"));
        // Poetry syntax.
        assert!(yes(Ecosystem::PyPI, "^0.110", "0.110.3"));
        assert!(!yes(Ecosystem::PyPI, "^0.110", "0.111.0"));
        assert!(yes(Ecosystem::PyPI, "^2.5", "2.9.1"));
        assert!(!yes(Ecosystem::PyPI, "^2.5", "3.0.0"));
        assert!(yes(Ecosystem::PyPI, "~2.5", "2.5.9"));
        assert!(!yes(Ecosystem::PyPI, "~2.5", "2.6"));
        assert!(yes(Ecosystem::PyPI, "*", "0.1"));
        assert!(satisfies(Ecosystem::PyPI, "=>1", "1.0").is_err());
        assert!(satisfies(Ecosystem::PyPI, ">=1", "not-a-version!").is_err());
    }

    #[test]
    fn go_versions() {
        assert!(yes(Ecosystem::Go, "v1.9.1", "v1.9.1"));
        assert!(!yes(Ecosystem::Go, "v1.9.1", "v1.9.2"));
        assert!(yes(Ecosystem::Go, ">=v1.9.0, <v2", "v1.10.0"));
        assert!(!yes(Ecosystem::Go, ">=v1.9.0, <v2", "v2.0.0"));
        assert!(yes(
            Ecosystem::Go,
            ">=v0.0.0-0",
            "v0.0.0-20240112132812-db7319d0e0e3"
        ));
        assert!(validate_constraint(Ecosystem::Go, "v1.2.3").is_ok());
        assert!(validate_constraint(Ecosystem::Go, "v1..2").is_err());
    }

    #[test]
    fn poetry_translation() {
        assert_eq!(
            poetry_to_pep440("^1.2.3").as_deref(),
            Some(">=1.2.3,<2.0.0")
        );
        assert_eq!(
            poetry_to_pep440("^0.0.3").as_deref(),
            Some(">=0.0.3,<0.0.4")
        );
        assert_eq!(poetry_to_pep440("~1").as_deref(), Some(">=1,<2.0.0"));
        assert_eq!(poetry_to_pep440(">=1,<2").as_deref(), Some(">=1,<2"));
        assert_eq!(poetry_to_pep440("^1 || ^2"), None);
    }
}
