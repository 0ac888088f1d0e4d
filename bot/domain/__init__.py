"""Pure domain logic: no Discord, no SQL, no wall clock."""
