"""Rules of the local (rule-based) extractor, split by idea.

- `text`: input clean-up (Unicode forms, icon glyphs, letter-spaced headings).
- `dates`: dates and date ranges in the common written forms and languages.
- `headings`: section headings in several languages.
- `contacts`: name, email, phone, links and profiles.
- `basics`: the basics block put together (name, label, contacts, location, summary).
- `places`: locations, addresses, countries, and the place in a school's name.
- `vocab`, `scores`: the word lists and the word detectors built on them.
- `line`: a line of a CV as the entry rules see it.
- `skills`, `languages`: the skills and spoken languages sections.

The rules that also ask the line model (segmentation, entry headers, work and
education) live in `extractors.local_sections`; nothing here imports `learned`.

No rule mentions a particular person, company or file.
"""
