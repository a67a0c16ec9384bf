-- Grade changes as events (issue 15). A grade change is one event about one data day, announced once, by
-- the write that made it (audit_id: its time and who). grade.regrade adds a row only for a day-to-day
-- change that did not exist before the write, and drops the row of a change a write undid (the feed shows
-- changes that hold); a configuration save adds none (its audit row says how many grades it moved).
create table grade_events (
    audit_id      bigint not null,      -- the write that made the change (batch.commit, batch.rollback, ...)
    day           date not null,        -- the data day whose grade changed
    building_id   varchar not null,
    before_grade  varchar not null,     -- the grade on the building's previous graded day
    after_grade   varchar not null,
    score         double,
    rule          varchar,
    main_factor   varchar
);

-- An existing database: the changes its grades hold now, announced by its latest write.
insert into grade_events
with history as (
    select day, building_id, computed_grade, score, rule, main_factor,
           lag(computed_grade) over (partition by building_id order by day) as previous_grade
    from building_grades
),
final as (
    select (select max(audit_id) from audit) as audit_id, day, building_id, previous_grade as before_grade,
           computed_grade as after_grade, score, rule, main_factor
    from history
    where previous_grade is not null and previous_grade <> computed_grade
)
select * from final where audit_id is not null;
