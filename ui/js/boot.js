// Runs before first paint (classic script, no module): applies the cached
// theme so a dark-mode user never sees a light flash. app.js takes over after.
(function () {
  var theme = 'system';
  try {
    var cached = JSON.parse(localStorage.getItem('molten.prefs') || 'null');
    if (cached && cached.theme) theme = cached.theme;
  } catch (e) { /* no cache yet */ }
  var dark = theme === 'dark' ||
    (theme === 'system' && window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
  document.documentElement.setAttribute('data-theme-pref', theme);
})();
