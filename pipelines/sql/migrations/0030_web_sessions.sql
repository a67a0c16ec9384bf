-- Logins that survive reload and new tabs (a cookie holding a random session id) and bearer tokens for the
-- read-only data API. Only SHA-256 hashes of session ids and tokens are stored. Nothing is deleted: a
-- session ends (revoked_at, or its idle or absolute expiry passes), a token is revoked.
create sequence web_session_id_seq start 1;
create sequence api_token_id_seq start 1;

create table web_sessions (
    session_id      integer primary key default nextval('web_session_id_seq'),
    id_hash         varchar not null unique,   -- sha256 hex of the cookie's session id
    username        varchar not null,
    via             varchar not null,          -- password | oidc
    created_at      timestamptz not null default current_timestamp,
    last_seen_at    timestamptz not null default current_timestamp,
    expires_at      timestamptz not null,      -- absolute end, whatever the activity
    source_address  varchar,
    user_agent      varchar,
    revoked_at      timestamptz,
    revoked_by      varchar,
    revoke_reason   varchar                    -- logout | admin | disabled | idle
);

create table api_tokens (
    token_id      integer primary key default nextval('api_token_id_seq'),
    name          varchar not null,            -- e.g. 一网统管平台
    token_hash    varchar not null unique,     -- sha256 hex of the token; the token itself is never stored
    street        varchar,                     -- null: the whole district
    created_at    timestamptz not null default current_timestamp,
    created_by    varchar not null,
    expires_at    timestamptz not null,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    varchar
);
