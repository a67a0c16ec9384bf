-- Who may use the console: users (password hashes only, argon2id) and screen tokens (SHA-256 of the token only).
-- Nothing here is ever deleted: a user is disabled, a token is revoked; every change is an audit row.
create sequence screen_token_id_seq start 1;

create table users (
    username         varchar primary key,      -- lower case; also the audit actor
    display_name     varchar not null,
    role             varchar not null check (role in ('leader', 'analyst', 'screen', 'admin')),
    street           varchar,                  -- null: the whole district
    email            varchar,                  -- optional: matched to st.user.email when OIDC is configured
    password_hash    varchar,                  -- argon2id; null: OIDC only
    failed_attempts  integer not null default 0,
    locked_until     timestamptz,
    disabled         boolean not null default false,
    last_login_at    timestamptz,
    created_at       timestamptz not null default current_timestamp,
    created_by       varchar not null,
    updated_at       timestamptz not null default current_timestamp
);

create table screen_tokens (
    token_id    integer primary key default nextval('screen_token_id_seq'),
    name        varchar not null,              -- e.g. 城运中心大屏; one live token per name
    token_hash  varchar not null unique,       -- sha256 hex of the token; the token itself is never stored
    street      varchar,                       -- null: the whole district
    created_at  timestamptz not null default current_timestamp,
    created_by  varchar not null,
    revoked_at  timestamptz,
    revoked_by  varchar
);
