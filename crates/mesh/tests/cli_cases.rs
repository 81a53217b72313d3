//! CLI cases as data: each `tests/cmd/*.toml` runs `mesh` and compares stdout, stderr and the
//! exit code with the files beside it. Update with `TRYCMD=overwrite cargo test -p mesh --test cli_cases`.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.toml");
}
