"""`{% cached_fragment seconds name %}...{% endcache %}`: Django's
`{% cache %}`, except that a cache that does not answer costs the fragment's
rendering, never the page (a Redis outage must not turn the upload page into
a 500; rate limits fail open the same way)."""

from __future__ import annotations

import logging

from django import template
from django.templatetags.cache import CacheNode, do_cache

register = template.Library()
log = logging.getLogger("cv2web.extraction")


class _FailSafeCacheNode(CacheNode):
    def render(self, context):
        try:
            return super().render(context)
        except template.TemplateSyntaxError:
            raise
        except Exception:
            # The cache (or the fragment itself: then this raises again).
            log.warning("fragment %s rendered without the cache", self.fragment_name, exc_info=True)
            return self.nodelist.render(context)


@register.tag("cached_fragment")
def cached_fragment(parser, token):
    node = do_cache(parser, token)  # parses up to {% endcache %}
    return _FailSafeCacheNode(
        node.nodelist, node.expire_time_var, node.fragment_name, node.vary_on, node.cache_name
    )
