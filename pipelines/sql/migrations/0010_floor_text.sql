-- Floors as written (issue 12): 18F, B1, 十八层, 3-4F, 1801室 are kept as typed in floor_text; floor holds
-- the floor number read from it (first floor of a range, basements negative), null when none can be read.
-- Rows stored before held only the number: its text is the number. Industries and company types of the
-- stored rows are mapped to the alias table's names by store.py right after this migration
-- (vocabulary.py is code, not SQL).
alter table raw_companies add column floor_text varchar;
update raw_companies set floor_text = cast(floor as varchar) where floor is not null;
