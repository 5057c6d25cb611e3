// Fills the dashboard's Requests form (#view-requests) and sends it: `fields`
// maps a field's label to its value. Returns the view's locator.
export async function sendRequest(page, fields) {
  const view = page.locator('#view-requests');
  for (const [label, value] of Object.entries(fields)) await view.getByLabel(label, { exact: true }).fill(value);
  await view.getByRole('button', { name: 'Send request' }).click();
  return view;
}
