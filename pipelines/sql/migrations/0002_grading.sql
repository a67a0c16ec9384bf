-- Risk grading: the configuration versions, the daily grade history with its factors, and overrides.
create sequence grading_config_seq start 1;
create sequence override_id_seq start 1;

create table grading_configs (
    version     integer primary key default nextval('grading_config_seq'),
    config      varchar not null,        -- the TOML text as saved
    created_by  varchar not null,
    created_at  timestamptz not null default current_timestamp,
    note        varchar
);

-- Derived from data: recomputed for the days a batch touches. Rows here are results, not records.
create table building_grades (
    day             date not null,
    building_id     varchar not null,
    score           double not null,
    score_grade     varchar not null,
    computed_grade  varchar not null,
    rule            varchar,            -- label of the hard rule that set the grade, if any
    rule_detail     varchar,
    main_factor     varchar,
    config_version  integer,
    primary key (day, building_id)
);

create table building_factors (
    day           date not null,
    building_id   varchar not null,
    factor        varchar not null,
    value         double,
    points        double not null,
    weight        double not null,
    contribution  double not null,
    primary key (day, building_id, factor)
);

create table grade_overrides (
    override_id  integer primary key default nextval('override_id_seq'),
    building_id  varchar not null,
    grade        varchar not null check (grade in ('高', '中', '低')),
    reason       varchar not null,
    starts       date not null,
    expires      date,
    created_by   varchar not null,
    created_at   timestamptz not null default current_timestamp,
    revoked_by   varchar,
    revoked_at   timestamptz
);
