DROP TABLE custom_filters;
