"""The work calendar (工作台历): events, imports, the reminder planner and the delivery engine."""
