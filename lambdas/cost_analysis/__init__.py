"""Cost analysis shared by the cost tools, the daily report and the coming cost actions:
fetch (Cost Explorer, Cost Optimization Hub, Compute Optimizer, EC2, CloudWatch, Price List),
analyse, and render the tool response."""
