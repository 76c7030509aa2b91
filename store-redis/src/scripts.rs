//! The Lua scripts: each runs atomically on the server, so "check, then
//! change" cannot interleave with another client's command.

use std::sync::LazyLock;

use redis::Script;

/// Replaces the session's value with `ARGV[3]` (expiring after `ARGV[4]`
/// ms) only if the key still holds what the caller decided on: nothing
/// when `ARGV[1]` is `"0"`, exactly the string `ARGV[2]` when it is `"1"`,
/// a value of another type when it is `"2"`. Returns 1 when swapped, 0
/// when the key changed meanwhile.
pub(crate) static SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local kind = redis.call('TYPE', KEYS[1])['ok']
if ARGV[1] == '0' then
  if kind ~= 'none' then return 0 end
elseif ARGV[1] == '2' then
  if kind == 'none' or kind == 'string' then return 0 end
elseif kind ~= 'string' or redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
",
    )
});

/// Pushes the lock's expiry to `ARGV[2]` ms from now if the caller
/// (`ARGV[1]`) still holds it. Returns 1 when extended, 0 when the lock
/// expired or is another's.
pub(crate) static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// Deletes the lock if the caller (`ARGV[1]`) still holds it: never
/// another holder's after ours expired.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});
