DROP TABLE integrator_requests;
