-- audit_facets: the actors and actions that occur in the audit list, for its filters.
with final as (
    select 'actor' as facet, actor as value, count(*) as n from audit group by actor
    union all
    select 'action' as facet, action as value, count(*) as n from audit group by action
)
select * from final order by facet, n desc, value
