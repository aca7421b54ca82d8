-- Values by attribute name: Q5 finds the tasks that used a given value (a slice range) by name,
-- then compares the value; most names have few rows, the hot ones (loss) are never searched.
CREATE INDEX attribute_value_name ON attribute_value (name, direction);
