-- 一网统管 防疫专项 (issue 18): three new sheet kinds. Raw rows only, each tagged with its batch; the current
-- state (latest_<kind>) and the views over it are made by Store.migrate from the contract. New tables: an
-- existing database keeps all its data and gains empty tables.
create table if not exists raw_epidemic (
    batch_id integer not null, row_no integer not null, sheet varchar,
    report_date date not null, scope varchar not null,
    confirmed integer, suspected integer, close_contacts integer, home_observation integer, released integer
);

create table if not exists raw_work_progress (
    batch_id integer not null, row_no integer not null, sheet varchar,
    report_date date not null, street varchar not null, work_item varchar not null,
    target integer, done integer, unit varchar, note varchar
);

create table if not exists raw_key_points (
    batch_id integer not null, row_no integer not null, sheet varchar,
    point_id varchar not null, point_name varchar, point_type varchar, street varchar, address varchar,
    lon double, lat double, crs varchar
);
