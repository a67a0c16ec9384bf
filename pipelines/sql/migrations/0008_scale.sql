-- Scale (issue 8). Derived tables hold results, not records: they are rebuilt from the data at will.
--
-- 1. building_grades and building_factors without primary keys. At city scale a full regrade writes
--    900,000 grades and 7.2 million factor rows; maintaining the ART index of the keys made the insert
--    ten times slower and a full delete take minutes, and the index stayed in memory. Each (day, building)
--    and (day, building, factor) is written once by construction (grade._write deletes the days it
--    recomputes first); tests/test_bench.py checks the keys stay unique. Lookups by building and day
--    are served by DuckDB's zone maps (the rows are written in day order).
create table building_grades_unkeyed (
    day             date not null,
    building_id     varchar not null,
    score           double not null,
    score_grade     varchar not null,
    computed_grade  varchar not null,
    rule            varchar,
    rule_detail     varchar,
    main_factor     varchar,
    config_version  integer
);
insert into building_grades_unkeyed select * from building_grades order by day, building_id;
drop table building_grades;
alter table building_grades_unkeyed rename to building_grades;

create table building_factors_unkeyed (
    day           date not null,
    building_id   varchar not null,
    factor        varchar not null,
    value         double,
    points        double not null,
    weight        double not null,
    contribution  double not null
);
insert into building_factors_unkeyed select * from building_factors order by day, building_id, factor;
drop table building_factors;
alter table building_factors_unkeyed rename to building_factors;

-- 2. returns_by_building: the daily returns summed per building and day, kept up to date in the transaction of
--    every commit and rollback (metrics.refresh_returns_by_building, an AFTER_WRITE hook that runs before the
--    regrade). Grading, the headline figures and the curves read 900,000 rows from here instead of
--    joining 45 million daily returns to the company directory on every call.
create table returns_by_building (
    day               date not null,
    building_id       varchar not null,
    reports           bigint not null,   -- companies that reported
    companies_back    bigint not null,   -- of which with staff on site
    on_site           bigint,
    movers            bigint not null,   -- from key areas + from abroad
    home_observation  bigint,
    fever             bigint not null
);
