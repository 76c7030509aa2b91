//! `Config` refuses an API URL that cannot work as a base — a fragment
//! (every endpoint appended would land in it), user information, port 0 or
//! above 65535 — and no configuration error echoes a password or a value of
//! more than ~80 characters whole.

use revault_auth_core::{ApiKeySecret, Config, ConfigError, MAX_API_URL_CHARS, SHOWN_CHARS};

fn refused(url: &str) -> ConfigError {
    Config::builder(url, "ws", "key-id", ApiKeySecret::new("s3cr3t"))
        .build()
        .expect_err(url)
}

fn assert_invalid(url: &str, says: &str) -> String {
    let error = refused(url);
    assert!(
        matches!(error, ConfigError::InvalidUrl(_)),
        "{url}: {error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(says), "{url}: {text}");
    assert!(text.len() < 300, "{} characters", text.len());
    text
}

#[test]
fn a_fragment_is_refused() {
    assert_invalid("https://api.example.com/v1/rest#frag", "fragment");
    assert_invalid("https://api.example.com/v1/rest#", "fragment");
}

#[test]
fn ports_0_and_above_65535_are_refused() {
    for url in [
        "http://127.0.0.1:0/v1/rest",
        "http://127.0.0.1:99999/v1/rest",
        "https://[::1]:65536/v1/rest",
        "https://api.example.com:00/v1/rest",
    ] {
        assert_invalid(url, "port");
    }
    for fine in ["http://127.0.0.1:1/v1/rest", "https://[::1]:65535/v1/rest"] {
        Config::builder(fine, "ws", "id", ApiKeySecret::new("s"))
            .build()
            .expect(fine);
    }
}

#[test]
fn user_information_is_refused_without_echoing_the_password() {
    for url in [
        "https://admin:hunter2-password@api.example.com/v1/rest",
        "http://admin:hunter2-password@[::1/v1/rest",
        "https://admin:hunter2-password@api.example.com#x",
    ] {
        let text = assert_invalid(url, "user information");
        assert!(!text.contains("hunter2-password"), "{text}");
        assert!(!text.contains("admin"), "{text}");
        assert!(!format!("{:?}", refused(url)).contains("hunter2"));
    }
}

#[test]
fn a_long_value_is_not_echoed_whole() {
    let long = "a".repeat(100 * 1024);
    for url in [
        format!("https://api.example.com/{long}"),
        format!("https://api.example.com/{long}#frag"),
        format!("ftp://{long}/"),
    ] {
        let text = refused(&url).to_string();
        assert!(text.contains("API URL"), "{text}");
        assert!(text.len() < 300, "{} characters", text.len());
    }
    let insecure = format!("http://{}.example.com/v1/rest", "h".repeat(500));
    let error = refused(&insecure);
    assert!(
        matches!(error, ConfigError::InsecureUrl { .. }),
        "{error:?}"
    );
    assert!(error.to_string().len() < 300);
    assert!(format!("{error:?}").len() < 300);
}

fn accepted(url: &str) -> Config {
    Config::builder(url, "ws", "id", ApiKeySecret::new("s"))
        .build()
        .unwrap_or_else(|error| panic!("{url}: {error}"))
}

#[test]
fn an_error_shows_a_short_value_whole_and_quoted() {
    let url = "https://api.example.com/v1/rest#frag";
    let text = assert_invalid(url, "fragment");
    assert!(text.contains(&format!("{url:?}")), "{text}");
}

#[test]
fn a_value_is_shown_whole_up_to_the_limit_and_cut_past_it() {
    let prefix = "https://api.example.com/";
    let at_limit = format!("{prefix}{}#", "p".repeat(SHOWN_CHARS - prefix.len() - 1));
    assert_eq!(at_limit.chars().count(), SHOWN_CHARS);
    let text = assert_invalid(&at_limit, "fragment");
    assert!(text.contains(&format!("{at_limit:?}")), "{text}");
    assert!(!text.contains("characters)"), "{text}");

    let past = format!("{prefix}{}#", "p".repeat(SHOWN_CHARS - prefix.len()));
    let text = assert_invalid(&past, "fragment");
    assert!(
        text.contains(&format!("({} characters)", SHOWN_CHARS + 1)),
        "{text}"
    );
    assert!(!text.contains(&format!("{past:?}")), "{text}");
}

#[test]
fn an_api_url_of_the_maximum_length_is_accepted_and_one_more_is_not() {
    let prefix = "https://api.example.com/";
    let longest = format!("{prefix}{}", "p".repeat(MAX_API_URL_CHARS - prefix.len()));
    assert_eq!(longest.chars().count(), MAX_API_URL_CHARS);
    accepted(&longest);
    let too_long = format!("{longest}p");
    assert_invalid(
        &too_long,
        &format!("{} characters long", MAX_API_URL_CHARS + 1),
    );
}

#[test]
fn an_ipv6_host_without_a_port_is_not_mistaken_for_one() {
    // The colons inside the brackets are the address's, not a port's.
    for url in [
        "https://[::]/v1/rest",
        "https://[::1]/v1/rest",
        "https://[2001:db8::1]/v1/rest",
    ] {
        accepted(url);
    }
}

#[test]
fn plain_http_to_a_remote_host_names_the_host_bounded() {
    let error = refused("http://api.example.com/v1/rest");
    assert_eq!(
        error.to_string(),
        "refusing plain http:// to non-loopback host api.example.com: use https://"
    );
    let host = format!("{}.example.com", "h".repeat(100));
    let text = refused(&format!("http://{host}/v1/rest")).to_string();
    assert!(text.contains(&host[..SHOWN_CHARS]), "{text}");
    assert!(
        text.contains(&format!("({} characters)", host.len())),
        "{text}"
    );
}
