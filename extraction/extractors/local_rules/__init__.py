"""Rules of the local (rule-based) extractor, split by idea.

- `text`: input clean-up (Unicode forms, icon glyphs, letter-spaced headings).
- `dates`: dates and date ranges in the common written forms and languages.
- `headings`: section headings in several languages.
- `contacts`: name, email, phone, links, profiles and location.
- `sections`: work, education, skills and language entries.

No rule mentions a particular person, company or file.
"""
