"""Web stage: the app's roles and the areas each may use (kept apart, and free of imports, so the command
line can offer the roles without loading the app)."""

# One area per blueprint. Each role has what the one before it has, and more; content owner and marketing
# are side by side; admin has everything.
LIBRARY, PERSONAL, CONTENT, MARKETING, ADMIN = "library", "personal", "content", "marketing", "admin"
AREAS = (LIBRARY, PERSONAL, CONTENT, MARKETING, ADMIN)
FRONT_DESK, CLINICIAN, CONTENT_OWNER, MARKETER, ADMINISTRATOR = (
    "front-desk", "clinician", "content-owner", "marketing", "admin")
ROLE_AREAS = {
    FRONT_DESK: (LIBRARY,),
    CLINICIAN: (LIBRARY, PERSONAL),
    CONTENT_OWNER: (LIBRARY, PERSONAL, CONTENT),
    MARKETER: (LIBRARY, PERSONAL, MARKETING),
    ADMINISTRATOR: AREAS,
}
ROLES = tuple(ROLE_AREAS)
