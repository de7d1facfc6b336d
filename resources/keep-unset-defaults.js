/* Shared by every dialog of @dcpower/node-red-nodes; Node-RED serves this folder at resources/<module>/. */
// Done must not write a default into a node that never had the property (a later version's better default
// would never reach it): the core editor stores every field it finds by id, so an untouched field of an unset
// property or credential gives up its id before the editor reads the form.
window.dcpowerKeepUnsetDefaults = function (node, prefix) {
  var defaults = node._def.defaults || {};
  Object.keys(defaults).forEach(function (name) {
    if (node[name] !== undefined) return;
    var input = $('#' + prefix + '-' + name);
    if (input.length === 0) return;
    var value = input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
    // an empty field of an unset property shows it unset (its placeholder), as does the default
    if (value === '_ADD_' || value === '' || String(value) === String(defaults[name].value)) input.removeAttr('id');
  });
  var creds = node.credentials || {};
  Object.keys(node._def.credentials || {}).forEach(function (name) {
    var input = $('#' + prefix + '-' + name);
    if (input.length === 0 || input.val() !== '') return;
    if (creds[name] === undefined && creds['has_' + name] !== true) input.removeAttr('id');
  });
};
