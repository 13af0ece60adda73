// Sign in and register: a form used on its own page and inside the
// checkout return, where the buyer signs in to capture their payment
// without leaving the checkout.
/** @import * as T from '../../types/graphql' */
/** @import { Operation } from './graphql.js' */
import { useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { signIn } from './session.js';
import { isLocalPath, Link, navigate, location_ } from './router.js';
import { useStore } from './store.js';
import { ErrorNotice, Field, FormErrors, Page, request, useAction } from './ui.js';

/** @type {Operation<T.SignInMutation, T.SignInMutationVariables>} */
const SIGN_IN = /* GraphQL */ `
  mutation SignIn($input: LoginInput!) {
    login(input: $input) { token user { id email role } userErrors { code message field } }
  }`;

/** @type {Operation<T.RegisterMutation, T.RegisterMutationVariables>} */
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { token user { id email role } userErrors { code message field } }
  }`;

/**
 * The sign-in or registration form; `done` runs once signed in.
 * @param {{ mode: 'signin' | 'register', onMode?: (mode: 'signin' | 'register') => void, done: () => void }} props
 */
export function AuthForm({ mode, onMode, done }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [payoutEmail, setPayoutEmail] = useState('');
  const [errors, setErrors] = useState(/** @type {import('./ui.js').UserError[]} */ ([]));
  const action = useAction(async () => {
    const payload =
      mode === 'signin'
        ? (await request(SIGN_IN, { input: { email, password } })).login
        : (await request(REGISTER, { input: { email, password, paypalPayoutEmail: payoutEmail || email } })).register;
    setErrors(payload.userErrors);
    if (payload.token && payload.user) {
      signIn({ token: payload.token, user: payload.user });
      done();
    }
  });
  const register = mode === 'register';
  /** @param {Event} event */
  const submit = (event) => {
    event.preventDefault();
    action.run();
  };
  return html`
    <form class="form auth" onSubmit=${submit} novalidate>
      <${Field} name="email" label="E-mail" type="email" autocomplete="email" value=${email} onInput=${setEmail} errors=${errors} />
      <${Field} name="password" label="Password" type="password" autocomplete=${register ? 'new-password' : 'current-password'}
        value=${password} onInput=${setPassword} errors=${errors} hint=${register ? '8 to 128 characters.' : undefined} />
      ${register
        ? html`<${Field} name="paypalPayoutEmail" label="PayPal e-mail for payouts" type="email" required=${false}
            hint="Where your profit is paid if you sell; your e-mail when left empty." value=${payoutEmail} onInput=${setPayoutEmail} errors=${errors} />`
        : null}
      <${FormErrors} errors=${errors} fields=${['email', 'password', 'paypalPayoutEmail']} />
      ${action.failure ? html`<${ErrorNotice} error=${action.failure} retry=${() => action.run()} />` : null}
      <div class="actions">
        <button type="submit" class="primary" disabled=${action.busy}>${register ? 'Create account' : 'Sign in'}</button>
        ${onMode
          ? html`<button type="button" class="link" onClick=${() => onMode(register ? 'signin' : 'register')}>
              ${register ? 'I have an account: sign in' : 'New here? Create an account'}</button>`
          : null}
      </div>
    </form>`;
}

/**
 * `/signin` and `/register`: the form, then the page named by `?next=`
 * (a path of this site only) or the dashboard.
 * @param {{ mode: 'signin' | 'register' }} props
 */
export function AuthPage({ mode }) {
  const { query } = useStore(location_);
  const next = query.get('next');
  const target = isLocalPath(next) ? /** @type {string} */ (next) : '/dashboard';
  const other = mode === 'signin' ? '/register' : '/signin';
  const suffix = next ? `?next=${encodeURIComponent(target)}` : '';
  return html`
    <${Page} title=${mode === 'signin' ? 'Sign in' : 'Create an account'}>
      <${AuthForm} mode=${mode} done=${() => navigate(target, { replace: true })} />
      <p><${Link} href=${other + suffix}>${mode === 'signin' ? 'New here? Create an account' : 'I have an account: sign in'}</${Link}></p>
    </${Page}>`;
}
