// plotly.js's core (scatter, the cartesian axes, hover, the modebar, shapes, annotations,
// colour bars) with the only other trace types the report and the dashboard draw.
'use strict';
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/contour')]);

module.exports = Plotly;
