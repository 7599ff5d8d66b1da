// 班助后台: two small conveniences, no framework. Filtering happens in the page, so a name typed here never
// becomes part of a URL; destructive buttons ask first.
document.addEventListener("input", function (e) {
  var box = e.target;
  if (!box.dataset || !box.dataset.filter) return;
  var needle = box.value.trim();
  var rows = document.querySelectorAll("#" + box.dataset.filter + " [data-name]");
  rows.forEach(function (row) {
    row.classList.toggle("hidden", needle !== "" && row.dataset.name.indexOf(needle) < 0);
  });
});
document.addEventListener("click", function (e) {
  var b = e.target.closest ? e.target.closest("[data-confirm]") : null;
  if (b && !window.confirm(b.dataset.confirm)) e.preventDefault();
});
