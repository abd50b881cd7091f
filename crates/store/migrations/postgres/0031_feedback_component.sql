-- The product component of a feedback item (postgres). Keep in step with
-- ../sqlite/0031_feedback_component.sql (a test compares the schemas).

-- Named by the source that knows it: the `component` field of the API,
-- of the CSV import and of the widget. NULL = not known; the
-- patterns report then takes the component of the incident the item's
-- case came from, if any.
ALTER TABLE feedback ADD COLUMN component TEXT;
