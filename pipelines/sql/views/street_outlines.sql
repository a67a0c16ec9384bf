-- current_street_outlines: for each street, the outline from its latest upload.
create or replace view current_street_outlines as
with ranked as (
    select * from street_outlines
    qualify row_number() over (partition by street order by outline_id desc) = 1
),
final as (
    select * from ranked
)
select * from final
