-- Street outlines (街道边界) uploaded as GeoJSON. Every upload is kept; the current outline of a street is
-- the one from its latest upload (view current_street_outlines). Geometry stored as given and in WGS-84.
create sequence street_outline_seq start 1;

create table street_outlines (
    outline_id     integer primary key default nextval('street_outline_seq'),
    street         varchar not null,
    file_name      varchar not null,
    sha256         varchar not null,          -- of the uploaded file
    source_crs     varchar not null check (source_crs in ('GCJ02', 'WGS84')),
    geometry       json not null,             -- the feature's geometry as uploaded
    geometry_wgs84 json not null,             -- the same, converted to WGS-84 for drawing
    uploaded_by    varchar not null,
    uploaded_at    timestamptz not null default current_timestamp
);
