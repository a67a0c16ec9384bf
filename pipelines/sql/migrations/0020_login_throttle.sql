-- Failed logins are throttled per account and source (growing delays), never a lock strangers can set on an
-- account. `account` is a SHA-256 of the typed username: what someone typed (perhaps a password, perhaps a
-- formula) is never stored. Rows here are throttle state, not records: a success or an unlock deletes them.
create table login_throttle (
    account       varchar not null,
    source        varchar not null,
    failures      integer not null default 0,
    last_failure  timestamptz not null,
    blocked_until timestamptz,
    primary key (account, source)
);

-- The data version that keys every cached query counts data writes only (Store.audit of any action but a
-- login): a failed login no longer empties the caches.
insert or replace into meta
select 'data_version', cast(coalesce(max(audit_id), 0) as varchar) from audit;
