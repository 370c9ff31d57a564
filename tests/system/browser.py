"""What the browser tests share around a headless Chromium session
(test_web_browser.py, test_web_landing.py, test_web_insight.py)."""
import contextlib
import os
import sys


@contextlib.contextmanager
def session(h, d):
    """Run the block with the browser d and quit it however the block ends;
    on a failure, first save what the page showed into the directory the
    harness h keeps (failure.png)."""
    try:
        yield d
    except BaseException:
        shot = os.path.join(h.dir, 'failure.png')
        try:
            d.save_screenshot(shot)
            sys.stderr.write('screenshot of the failure: %s\n' % shot)
        except Exception:  # the browser is gone: nothing to show
            pass
        raise
    finally:
        try:
            d.quit()
        except Exception:  # the browser is gone already: nothing left to stop
            pass


def console_errors(p):
    """The messages of the page's console errors (a CSP violation, a script error)."""
    return [e['message'] for e in p.console if e.get('level') == 'SEVERE']
