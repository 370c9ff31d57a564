/*
 * local.js — what the page keeps in this browser (localStorage): the
 * chosen language, the starter's profile, and per step of the list what
 * they said (planstate.js: done, the partner chosen, when they asked,
 * notes).  Nothing of it is sent anywhere but the profile, as the body of
 * POST /api/v1/match.  "gilde.ticks" is the older form of the steps'
 * state, read once and dropped.
 */

export const KEYS = { lang: 'gilde.lang', profile: 'gilde.profile', plan: 'gilde.plan', ticks: 'gilde.ticks' };

export const store = {
  get(key, fallback) {
    try {
      const v = window.localStorage.getItem(key);
      return v === null ? fallback : JSON.parse(v);
    } catch (e) {
      return fallback;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the page still works, it just forgets */ }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) { /* ignore */ }
  },
};
