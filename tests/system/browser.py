"""What the browser tests share around a headless Chromium session
(test_web_browser.py, test_web_landing.py, test_web_insight.py)."""
import contextlib
import os
import sys

# Debian's python3-selenium lives in the system interpreter; if the one
# running this test lacks it (a pyenv or venv python3 found first on PATH),
# run the test again under that.  Done on import: a browser test imports
# this module before selenium.
try:
    import selenium
except ImportError:
    selenium = None
if selenium is None:
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != \
            os.path.realpath('/usr/bin/python3') and not os.environ.get('GILDE_WEB_REEXEC'):
        os.environ['GILDE_WEB_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)


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


def click_one(p, sel):
    """Click the one element sel names on page p (a Page with css and wait);
    found again if the page redrew it between the finding and the click (a
    stale element is not clicked).  The Pages take it as their click."""
    def go():
        found = p.css(sel)
        if len(found) != 1:
            return False
        found[0].click()
        return True
    p.wait('one %s to click' % sel, go)
