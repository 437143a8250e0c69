(function () {
  'use strict';
  // Sorting and filtering of the targets table, and details opened for
  // printing. Only text and attributes are read or set: nothing from the
  // report is ever parsed as HTML.
  var table = document.getElementById('targets');
  if (table && table.tHead && table.tBodies.length) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    var key = function (row, i, num) {
      var cell = row.cells[i];
      var v = cell.getAttribute('data-sort');
      if (v === null) { v = cell.textContent; }
      return num ? parseFloat(v) : v.toLowerCase();
    };
    Array.prototype.forEach.call(heads, function (th, i) {
      var button = th.querySelector('button');
      if (!button) { return; }
      button.addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var num = th.getAttribute('data-type') === 'num';
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, i, num), y = key(b, i, num);
          var r = x < y ? -1 : (x > y ? 1 : 0);
          if (dir === 'descending') { r = -r; }
          if (r === 0) { r = parseInt(a.getAttribute('data-index'), 10) - parseInt(b.getAttribute('data-index'), 10); }
          return r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    var controls = document.getElementById('controls');
    var text = document.getElementById('filter');
    var verdict = document.getElementById('filter-verdict');
    var count = document.getElementById('filter-count');
    var apply = function () {
      var q = text.value.toLowerCase(), v = verdict.value, shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var show = (v === '' || row.getAttribute('data-verdict') === v) &&
          (q === '' || row.textContent.toLowerCase().indexOf(q) >= 0);
        row.hidden = !show;
        if (show) { shown++; }
      });
      count.textContent = shown + ' of ' + body.rows.length + ' targets shown';
    };
    if (controls && text && verdict && count) {
      text.addEventListener('input', apply);
      verdict.addEventListener('change', apply);
      controls.hidden = false;
      apply();
    }
  }
  window.addEventListener('beforeprint', function () {
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) { d.open = true; });
  });
}());
