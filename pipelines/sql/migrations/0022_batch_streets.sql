-- The streets a batch's rows belong to (null in the list: a row whose building is unknown), kept when the batch is
-- written: a street user may see and roll back only batches wholly within their street. Batches stored before
-- this migration are filled from their raw rows when the store opens (Store.migrate).
alter table batches add column streets varchar[];
