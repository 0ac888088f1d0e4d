"""One service per capability. Each method is one unit of work in one transaction."""
