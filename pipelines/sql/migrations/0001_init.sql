-- The store: batches, audit, raw rows per sheet kind (every row tagged with its batch), settings.
create sequence batch_id_seq start 1;
create sequence audit_id_seq start 1;

create table batches (
    batch_id      integer primary key default nextval('batch_id_seq'),
    file_name     varchar not null,
    sha256        varchar not null,
    stored_as     varchar not null,          -- path under data/, named by hash
    sheets        json not null,             -- {"companies": {"rows": 12, "sheet": "企业名录"}, ...}
    uploaded_by   varchar not null,
    uploaded_at   timestamptz not null default current_timestamp,
    status        varchar not null default 'committed' check (status in ('committed', 'reverted')),
    reverted_by   varchar,
    reverted_at   timestamptz,
    note          varchar
);

create table audit (
    audit_id  bigint primary key default nextval('audit_id_seq'),
    done_at   timestamptz not null default current_timestamp,
    actor     varchar not null,
    action    varchar not null,   -- batch.commit, batch.rollback, grade.override, config.save, user.*, login.failed
    target    varchar,
    before    json,
    after     json
);

create table meta (
    key   varchar primary key,
    value varchar not null
);

create table raw_buildings (
    batch_id integer not null, row_no integer not null, sheet varchar,
    building_id varchar not null, building_name varchar, street varchar, address varchar,
    lon double, lat double, crs varchar, floor_area double, floors integer,
    property_company varchar, building_manager varchar
);

create table raw_companies (
    batch_id integer not null, row_no integer not null, sheet varchar,
    credit_code varchar not null, company_name varchar, building_id varchar, floor integer,
    industry varchar, employees integer, company_type varchar, key_company varchar,
    planned_date date, contact_person varchar, contact_phone varchar
);

create table raw_daily_returns (
    batch_id integer not null, row_no integer not null, sheet varchar,
    report_date date not null, credit_code varchar not null, company_name varchar,
    on_site integer, remote integer, from_key_areas integer, from_abroad integer,
    home_observation integer, fever integer
);

create table raw_checks (
    batch_id integer not null, row_no integer not null, sheet varchar,
    check_date date not null, building_id varchar not null,
    area_closed integer, area_registration integer, area_plan integer, area_disinfection integer,
    area_mobilisation integer, area_service integer, duty_score double, issues_found varchar, inspector varchar
);

create table raw_requests (
    batch_id integer not null, row_no integer not null, sheet varchar,
    request_id varchar not null, request_date date, credit_code varchar, category varchar,
    content varchar, status varchar, closed_date date
);
