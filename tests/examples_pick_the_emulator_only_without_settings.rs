//! The examples' configuration (`examples/common`): the emulator stands in
//! only when no `REVAULT_*` variable is set; a set but broken configuration
//! is reported, so a typo never looks like a working setup.

#[path = "../examples/common/mod.rs"]
mod common;

const URL: &str = "https://revault.example/v1/rest";

fn lookup(url: &'static str) -> impl Fn(&str) -> Option<String> {
    move |name| {
        Some(match name {
            "REVAULT_API_URL" => url.to_owned(),
            "REVAULT_WORKSPACE" => "ws".to_owned(),
            "REVAULT_API_KEY_ID" => "key-id".to_owned(),
            "REVAULT_API_KEY_SECRET" => "example-secret-7c1d".to_owned(),
            _ => return None,
        })
    }
}

fn all_four() -> Vec<String> {
    [
        "REVAULT_API_URL",
        "REVAULT_WORKSPACE",
        "REVAULT_API_KEY_ID",
        "REVAULT_API_KEY_SECRET",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn without_revault_variables_the_emulator_stands_in() {
    let api = common::choose(&["HOME".to_owned()], |_| None).expect("emulator");
    assert!(api.emulator.is_some());
    assert!(
        api.base_url.starts_with("http://127.0.0.1:"),
        "{}",
        api.base_url
    );
}

#[test]
fn a_complete_configuration_is_used_as_it_is() {
    let api = common::choose(&all_four(), lookup(URL)).expect("configuration");
    assert!(api.emulator.is_none(), "no emulator once REVAULT_* is set");
    assert_eq!(api.base_url, URL);
    assert_eq!(api.config.workspace(), "ws");
}

#[test]
fn a_missing_variable_is_reported_not_replaced_by_the_emulator() {
    let only_url = |name: &str| (name == "REVAULT_API_URL").then(|| URL.to_owned());
    let error = common::choose(&["REVAULT_API_URL".to_owned()], only_url)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("REVAULT_WORKSPACE"), "{error}");
}

#[test]
fn a_typo_in_the_url_is_reported_not_replaced_by_the_emulator() {
    let result = common::choose(&all_four(), lookup("htps://revault.example/v1/rest"));
    assert!(result.is_err(), "a URL with a typo was accepted");
}
