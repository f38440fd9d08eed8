"""登录 / 注册 and 我的账户: log in, register, bind a household, change password, log out.

Logging in or registering leads on to where the person was going (home by default), never to
a dead end on 我的账户.
"""
import streamlit as st

from lib.core import ui
from lib.people import ui as people_ui
from lib.people import ui_account


db = ui.portal_db()
auth = ui_account.logout_if_asked(db)  # streamlit-authenticator, built only to log in or out
user = people_ui.current_user(db)
place = people_ui.current_place(db)

if user.is_guest:
    st.title("登录 / 注册")
    ui_account.login_or_register(db, auth, place)
    st.stop()

ui_account.continue_after_login()
st.title("我的账户")
ui_account.account_summary(db, user)
ui_account.bind_household(db, user, place)
ui_account.privacy_settings(db, user)
ui_account.change_password(db, user)
ui_account.leave_buttons()
