-- Grades that do not flap (issue 15): building_grades keeps the undamped grade beside the damped one, and a
-- note when damping held a grade or brought it down. Existing rows were graded without damping.
alter table building_grades add column raw_grade varchar;
alter table building_grades add column damping_note varchar;
update building_grades set raw_grade = computed_grade;
