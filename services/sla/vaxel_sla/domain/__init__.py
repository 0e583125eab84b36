"""The pure core of the SLA service: intervals and formulas, the book of interactions, alerts,
Erlang staffing, forecasts and follow-the-sun site plans, contract reports."""
