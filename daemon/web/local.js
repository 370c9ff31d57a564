/*
 * local.js — what the page keeps in this browser (localStorage): the
 * chosen language, the starter's profile and ticks.  Nothing of it is
 * sent anywhere but the profile, as the body of POST /api/v1/match.
 */

export const KEYS = { lang: 'gilde.lang', profile: 'gilde.profile', ticks: 'gilde.ticks' };

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
