// Loaded before the server's modules: the same NODE_ENV default as `provml serve` (bin/provml.js).
process.env.NODE_ENV = process.env.NODE_ENV || 'production';
