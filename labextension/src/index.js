// "view feedback" in nbgrader's Assignments tab, in one click.
//
// nbgrader's tab (its labextension, src/assignment_list/assignmentlist.ts) draws each submission's
// "(view feedback)" link as an <a> with no href whose click runs
// `filebrowser:go-to-path {path: <assignment>/feedback/<timestamp>}`: it only shows the folder.
// We do not patch nbgrader's code. We watch, through public APIs, for that command run from a click
// in the tab, and then open the feedback page(s) in that folder in a viewer of our own.
//
// The page is untrusted (the student's notebook, the instructor's comments), so the viewer is an
// iframe with an empty `sandbox`: no scripts, an opaque origin, no forms, no pop-ups, no top
// navigation. Unlike JupyterLab's HTML viewer it has no "Trust HTML" button that would let the
// page's scripts run with the server's origin (and the student's session).

import { IFrame, MainAreaWidget } from '@jupyterlab/apputils';

const PLUGIN_ID = 'mlops-concepts-feedback:plugin';
const OPEN_FEEDBACK = 'mlops-concepts:open-feedback';
// The ids nbgrader gives its Assignments tab and the list of submitted assignments.
const TAB_ID = 'nbgrader-assignment-list';
const SUBMITTED_LIST_ID = 'submitted_assignments_list';
// What nbgrader's local feedback folders look like: <assignment>/feedback/<timestamp>.
const FEEDBACK_FOLDER = /(^|\/)feedback\/[^/]+\/?$/;

/** The submitted list of nbgrader's tab, if `node` is inside it. */
function inSubmittedList(node) {
  const list = node instanceof Element ? node.closest(`#${SUBMITTED_LIST_ID}`) : null;
  return list && list.closest(`#${TAB_ID}`) ? list : null;
}

/**
 * The page with <base href="about:srcdoc"> first in its head. A srcdoc page resolves relative
 * URLs against the Lab's own URL, so its table of contents ("#cell" links) would load the Lab
 * into the frame instead of scrolling; against about:srcdoc they stay inside the page. DOMParser
 * builds an inert document: nothing in it runs or loads while we edit it.
 */
function withOwnBase(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const base = doc.createElement('base');
  base.setAttribute('href', 'about:srcdoc');
  doc.head.prepend(base);
  return '<!DOCTYPE html>\n' + doc.documentElement.outerHTML;
}

/** One feedback page, in a fully sandboxed iframe. */
function feedbackWidget(path, html) {
  // An empty list sets sandbox="": every restriction applies.
  const content = new IFrame({ sandbox: [], referrerPolicy: 'no-referrer' });
  const iframe = content.node.querySelector('iframe');
  const name = path.split('/').slice(-4).join('/');
  iframe.title = `Feedback: ${name}`;
  // srcdoc, not a URL of the server: the page never loads as one of the server's pages.
  iframe.srcdoc = withOwnBase(html);
  const widget = new MainAreaWidget({ content });
  widget.id = `mlops-feedback-${encodeURIComponent(path)}`;
  widget.addClass('mlops-FeedbackViewer');
  widget.title.label = `Feedback: ${path.split('/').slice(-4, -3)[0] || name}`;
  widget.title.caption = path;
  widget.title.closable = true;
  // Nothing to put in it: an empty toolbar is only a blank strip above the page.
  widget.toolbar.hide();
  return widget;
}

/** Opens every feedback page (one per notebook) in `folder`, or the page `path` itself. */
async function openFeedback(app, path) {
  const contents = app.serviceManager.contents;
  const item = await contents.get(path, { content: true });
  const pages =
    item.type === 'directory'
      ? item.content
          .filter(f => f.type === 'file' && f.name.toLowerCase().endsWith('.html'))
          .map(f => f.path)
          .sort()
      : [item.path];
  const opened = [];
  for (const page of pages) {
    // A page already open is shown again, not opened twice.
    let widget = findWidget(app, `mlops-feedback-${encodeURIComponent(page)}`);
    if (!widget) {
      const file = await contents.get(page, { content: true, format: 'text', type: 'file' });
      widget = feedbackWidget(page, file.content);
      app.shell.add(widget, 'main');
    }
    app.shell.activateById(widget.id);
    opened.push(page);
  }
  return opened;
}

function findWidget(app, id) {
  for (const widget of app.shell.widgets('main')) {
    if (widget.id === id) {
      return widget;
    }
  }
  return null;
}

/**
 * nbgrader's links have no href, so the browser does not put them in the tab order: give each
 * link in the submitted list a tab stop and the keys of a button (Enter, Space). Also explains
 * a submission that has no feedback yet.
 */
function improveSubmittedList() {
  const fix = () => {
    const list = document.getElementById(SUBMITTED_LIST_ID);
    if (!list || !inSubmittedList(list)) {
      return;
    }
    for (const link of list.querySelectorAll('a:not([href]):not([tabindex])')) {
      link.tabIndex = 0;
      link.setAttribute('role', 'button');
    }
    // nbgrader shows "Fetch Feedback" on every submitted assignment, released feedback or not.
    // A submission row with nothing after its timestamp (an empty span: no link, no "available
    // to fetch") has none yet: say so, there.
    for (const status of list.querySelectorAll('.nested_list_item .item_name')) {
      const last = status.lastElementChild;
      if (last && last.tagName === 'SPAN' && last.textContent === '') {
        const note = document.createElement('span');
        note.className = 'mlops-NoFeedback';
        note.textContent = ' (no feedback yet: after your instructor releases it, Fetch Feedback)';
        status.append(note);
      }
    }
  };
  // The tab rebuilds its rows on every refresh; the check is one id look-up when it is closed.
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  document.addEventListener(
    'keydown',
    event => {
      const link = event.target;
      if (
        (event.key === 'Enter' || event.key === ' ') &&
        link instanceof HTMLAnchorElement &&
        !link.hasAttribute('href') &&
        inSubmittedList(link)
      ) {
        // Keeps JupyterLab's shortcuts from acting on the key as well.
        event.preventDefault();
        event.stopPropagation();
        link.click();
      }
    },
    true
  );
}

const plugin = {
  id: PLUGIN_ID,
  description: "One click on nbgrader's \"view feedback\" opens the feedback page, sandboxed.",
  autoStart: true,
  activate: app => {
    app.commands.addCommand(OPEN_FEEDBACK, {
      label: 'Open Feedback',
      caption: 'Open the feedback pages of an nbgrader feedback folder, sandboxed',
      execute: args => openFeedback(app, String(args.path || ''))
    });

    // True while a click in the submitted list is being handled: nbgrader's handler runs the
    // command synchronously inside it, and lumino reports the command synchronously too.
    let clickInList = false;
    document.addEventListener('click', event => {
      clickInList = Boolean(inSubmittedList(event.target));
      if (clickInList) {
        setTimeout(() => (clickInList = false), 0);
      }
    }, true);
    app.commands.commandExecuted.connect((_, { id, args }) => {
      const path = args && typeof args.path === 'string' ? args.path : '';
      if (id === 'filebrowser:go-to-path' && clickInList && FEEDBACK_FOLDER.test(path)) {
        clickInList = false;
        void app.commands.execute(OPEN_FEEDBACK, { path }).catch(reason => {
          console.error(`Could not open the feedback in ${path}`, reason);
        });
      }
    });
    improveSubmittedList();
  }
};

export default plugin;
