/*
 * plan_insight.h — gilde plan's side of issue 26: whether the starter
 * wants to help the city improve its support anonymously, asked once, and
 * the progress events sent when they do.
 *
 * The answer lives in the plan file ("insight": {"consent", "token"},
 * plan.schema.json), so it moves with the plan between the page and the
 * command line.  Events go only to the node gilde talks to (--data), over
 * its control socket, and only when that node collects ([insight]
 * enabled) and the starter said yes; each is what the page sends
 * (schemas/progress.schema.json): the profile's bucket, one step on one
 * need, the partner chosen, the ISO week, the token.
 */
#ifndef GILDE_CLIENT_PLAN_INSIGHT_H
#define GILDE_CLIENT_PLAN_INSIGHT_H

#include <stdbool.h>

#include <jansson.h>

#include "client/cli.h"

/*
 * After gilde plan VERB [ARG] has run on plan (loaded, and saved if the
 * verb changes it):
 *   init, import   ask, on a terminal, if the node collects and the plan
 *                  holds no answer; then, with consent, send "listed" for
 *                  every step;
 *   refresh        with consent, "listed" for every step;
 *   done, choose   with consent, "done" / "chosen" for the step arg names;
 *   nofit          with consent, "nofit" for that step (without: say how
 *                  to agree, exit 1);
 *   insight ARG    on: agree (a new token), off: say no, sent: print what
 *                  the token sent (--json: the node's array), withdraw:
 *                  delete it on the node and forget the token.
 * Sets *changed when the plan's answer changed (save the plan again) and
 * *printed when it printed the command's output.  Returns an exit code:
 * a failure to send after another verb is said on stderr and returns 0,
 * since the plan itself is kept; for nofit and insight it is the
 * command's failure.
 */
int plan_insight(struct cli *cli, json_t *plan, const char *verb, const char *arg,
                 bool *changed, bool *printed);

#endif
