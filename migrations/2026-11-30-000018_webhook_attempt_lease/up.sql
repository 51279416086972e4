-- A delivery's attempt under way, until when: one attempt at a time per delivery. Its job can be
-- woken (by the delivery before it) while a worker still runs it, and a second worker claiming it
-- must not send the delivery again. Cleared when the attempt is settled; a crashed attempt's
-- lease runs out, and the delivery is tried again (at least once).
ALTER TABLE webhook_deliveries ADD COLUMN attempt_until TIMESTAMPTZ;
